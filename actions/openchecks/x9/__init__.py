"""The X9.100-187-2016 image cash letter: record layouts (`records`), a streaming writer (`writer`), a
streaming reader (`reader`), a validator (`validate`) and `show` (a file as JSON-able records)."""
