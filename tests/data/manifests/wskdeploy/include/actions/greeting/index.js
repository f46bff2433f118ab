function main() { return {greeting: "hi"}; }
