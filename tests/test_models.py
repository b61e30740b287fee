import pytest
import torch

from course_utils import count_parameters, mlp, small_cnn


def test_mlp_shapes_and_size():
    model = mlp(width=32, depth=2)
    assert model(torch.zeros(5, 1, 28, 28)).shape == (5, 10)
    assert count_parameters(model) == 784 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10
    assert count_parameters(mlp(depth=0)) == 784 * 10 + 10  # softmax regression


def test_small_cnn_shapes():
    assert small_cnn(4)(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


@pytest.mark.parametrize("kwargs, message", [
    ({"width": 0}, r"width must be an integer in >= 1 \(got 0\)"),
    ({"depth": -1}, r"depth must be an integer in >= 0"),
    ({"width": 2.5}, r"width must be an integer >= 1 \(got 2.5\)"),
])
def test_bad_sizes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mlp(**kwargs)
