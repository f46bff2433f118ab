def main(args):
    greeting = args.get("greeting", "Hi")
    return {
        "greeting": f"{greeting}, {args.get('name', 'nobody')}{args.get('punctuation', '')}",
        "region": args.get("region"),
        "retries": args.get("retries"),
    }
