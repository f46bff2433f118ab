def shout(args):
    return {"greeting": str(args.get("greeting", "")).upper()}
