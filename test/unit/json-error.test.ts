// Where JSON text stops being JSON (issue 15 §3: config parse errors give line and column).
import { describe, expect, test } from "bun:test";
import { jsonSyntaxError } from "../../src/json-error.ts";

describe("jsonSyntaxError", () => {
  test.each([
    ['{"a": 1}', undefined],
    [' [1, -2.5e3, "x\\n\\u00e9", true, null, {"b": []}] ', undefined],
  ])("valid: %s", (text, expected) => expect(jsonSyntaxError(text)).toEqual(expected as undefined));

  test.each([
    // The README's old example was JSONC: a comment is named as such, on its line.
    ['{\n  "deviceId": "pi",\n  // the sink\n  "sinks": []\n}', 3, 3, "expected a \"quoted\" field name, found a comment (JSON has none)"],
    ['{\n  "deviceId": "pi",\n}', 3, 1, "expected a \"quoted\" field name, found '}' after a comma (JSON allows no trailing comma)"],
    ['[1, 2, ]', 1, 8, "expected a value, found ']' after a comma (JSON allows no trailing comma)"],
    ["{'a': 1}", 1, 2, "expected a \"quoted\" field name, found a 'single-quoted' string (JSON takes \"double quotes\")"],
    ['{"a" 1}', 1, 6, "expected ':' after the field name, found '1'"],
    ['{"a": tru}', 1, 7, "expected a value, found 'tru'"],
    ['{"a": 1 "b": 2}', 1, 9, "expected ',' or '}', found '\"'"],
    ['{"a": "x', 1, 9, "unterminated string"],
    ['{"a": "x\ny"}', 1, 9, "unterminated string (a line break or control character inside quotes)"],
    ['{"a": 1}}', 1, 9, "expected the end of the file after the value, found '}'"],
    ["", 1, 1, "expected a value, found the end of the file"],
    ['{"a":', 1, 6, "expected a value, found the end of the file"],
  ])("%j → %d:%d", (text, line, column, reason) => expect(jsonSyntaxError(text)).toEqual({ line, column, reason }));

  test("agrees with JSON.parse on what is valid", () => {
    for (const text of ['{"a":[1,{"b":"c"}]}', "01", "1.", '"\\x"', "[1,]", "{}", "nul", "-", '"\t"']) {
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      expect({ text, valid: jsonSyntaxError(text) === undefined }).toEqual({ text, valid });
    }
  });
});
