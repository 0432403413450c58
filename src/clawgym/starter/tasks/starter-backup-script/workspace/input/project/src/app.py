from utils.helpers import days_between

print(days_between("2024-03-01", "2024-06-15"))
