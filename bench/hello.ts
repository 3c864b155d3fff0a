// The floor: a bare Bun program compiled exactly like bagtower, printing one line.
console.log('{"hello":"world"}');
