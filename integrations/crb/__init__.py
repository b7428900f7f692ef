"""Credit reference bureaus: the data template, its validator (used by the fund before a file
leaves and by the simulated bureau when it arrives) and a drop-folder bureau simulator."""
