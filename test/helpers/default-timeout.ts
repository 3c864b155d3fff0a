// bunfig.toml's test preload: the end-to-end tests build the binary once and start real daemons;
// give every test room on a loaded 2-core machine. (bun 1.4 has no bunfig key for this: a
// `timeout` under [test] is ignored and the default stays 5 s.)
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(60_000);
