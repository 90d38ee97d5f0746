"""Plant passports (Regulation (EU) 2016/2031): what is printed, and the register of those issued."""
