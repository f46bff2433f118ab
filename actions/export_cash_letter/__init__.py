"""Marks the action folder as a package so type checkers tell the actions apart; not used at run time."""
