from shared.text import tag


def main(args):
    return {"body": tag(args.get("__ow_method", "none")), "statusCode": 200}
