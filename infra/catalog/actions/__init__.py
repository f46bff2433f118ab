"""Sources of the /whisk.system actions; each file is deployed as-is (standard library only)."""
