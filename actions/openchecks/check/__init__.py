"""Reading and judging the whole check beyond the MICR line: geometry (find and straighten), image quality,
the amounts (courtesy and legal), the back and its endorsement."""
