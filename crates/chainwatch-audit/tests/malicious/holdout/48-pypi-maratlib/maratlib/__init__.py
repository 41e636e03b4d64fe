import numpy as np


def linspace_plot(start, stop, num=50):
    xs = np.linspace(start, stop, num)
    return list(zip(xs, xs))
