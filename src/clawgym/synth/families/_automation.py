"""(families to come)"""
FAMILIES: list = []
