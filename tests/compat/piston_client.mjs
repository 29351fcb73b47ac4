// tests/compat/piston_client.mjs - drives a judgebox server through the
// real `piston-client` npm package (as a Discord bot or an online IDE
// would) and prints what each call returned as one JSON object on stdout;
// tests/compat/suite.py starts the server and checks the answers.
// Usage: node piston_client.mjs http://127.0.0.1:PORT
import piston from "piston-client";

const server = process.argv[2];
const client = piston({ server });
const out = {};
out.runtimes = await client.runtimes();
out.hello = await client.execute("python", 'print("hello, piston")', { args: [] });
out.stdin = await client.execute("python", "print(input()[::-1])", { stdin: "judgebox\n", args: [] });
out.args = await client.execute("bash", 'echo "$#:$1:$2"', { args: ["one", "two words"] });
out.compile_error = await client.execute("c", "int main(void) { return x; }", { args: [] });
out.compiled = await client.execute("c++",
    '#include <iostream>\nint main(int c, char **v) { std::cout << c - 1 << v[1] << "\\n"; }');
out.timeout = await client.execute("python", "while True:\n    pass\n",
    { args: [], runTimeout: 1000 });
console.log(JSON.stringify(out));
