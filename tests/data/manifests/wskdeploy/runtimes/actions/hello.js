function main(params) {
    return {greeting: "Hello, " + (params.name || "stranger")};
}
