def tag(text):
    return f"bundled:{text}"
