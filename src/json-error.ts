/**
 * Where JSON text stops being JSON, as 1-based line and column plus what was expected there:
 * JSON.parse says what went wrong but not where, and a config file is fixed by going to the spot.
 * A small scanner of RFC 8259's grammar; undefined when the text is valid.
 */
export function jsonSyntaxError(text: string): { line: number; column: number; reason: string } | undefined {
  let i = 0;
  const fail = (reason: string): never => {
    throw new _Stop(i, reason);
  };
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const found = () => {
    if (i >= text.length) return "the end of the file";
    if (text.startsWith("//", i) || text.startsWith("/*", i)) return "a comment (JSON has none)";
    if (text[i] === "'") return `a 'single-quoted' string (JSON takes "double quotes")`;
    return `'${text[i]}'`;
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === "{") {
      i++;
      space();
      if (text[i] === "}") return void i++;
      for (;;) {
        space();
        if (text[i] !== '"') fail(`expected a "quoted" field name, found ${text[i] === "}" ? "'}' after a comma (JSON allows no trailing comma)" : found()}`);
        string();
        space();
        if (text[i] !== ":") fail(`expected ':' after the field name, found ${found()}`);
        i++;
        value();
        space();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") return void i++;
        fail(`expected ',' or '}', found ${found()}`);
      }
    }
    if (c === "[") {
      i++;
      space();
      if (text[i] === "]") return void i++;
      for (;;) {
        space();
        if (text[i] === "]") fail("expected a value, found ']' after a comma (JSON allows no trailing comma)");
        value();
        space();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") return void i++;
        fail(`expected ',' or ']', found ${found()}`);
      }
    }
    if (c === '"') return string();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (literal && !/[A-Za-z0-9_$]/.test(text[i + literal[0].length] ?? "")) {
      i += literal[0].length;
      return;
    }
    fail(`expected a value, found ${/[A-Za-z_$]/.test(c ?? "") ? `'${/^[\w$]+/.exec(text.slice(i))![0]}'` : found()}`);
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      const code = text.charCodeAt(i);
      if (code < 0x20) fail("unterminated string (a line break or control character inside quotes)");
      if (text[i] === "\\") {
        if (!/^(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/.test(text.slice(i + 1, i + 6))) fail("invalid escape in a string");
        i += text[i + 1] === "u" ? 6 : 2;
      } else i++;
    }
    if (i >= text.length) fail("unterminated string");
    i++;
  };
  try {
    value();
    space();
    if (i < text.length) fail(`expected the end of the file after the value, found ${found()}`);
    return undefined;
  } catch (error) {
    // Nesting deeper than the stack: JSON.parse's own message has to do.
    if (error instanceof RangeError) return undefined;
    if (!(error instanceof _Stop)) throw error;
    const before = text.slice(0, error.at);
    const line = before.split("\n").length;
    return { line, column: error.at - before.lastIndexOf("\n"), reason: error.reason };
  }
}

class _Stop {
  constructor(
    readonly at: number,
    readonly reason: string,
  ) {}
}
