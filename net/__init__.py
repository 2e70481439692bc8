"""TF2 (Keras 3) policy-value net of the AlphaZero Gomoku trainer: model, loss, export.

``NetConfig`` and ``ModelFileError`` load without TensorFlow; ``PolicyValueNet`` imports it on
first use, so validating a config or a command line stays fast.
"""
from net.net_config import NetConfig
from net.model_file import ModelFileError

__all__ = ["NetConfig", "ModelFileError", "PolicyValueNet"]


def __getattr__(name):
    if name == "PolicyValueNet":
        from net.quiet_import import import_tensorflow
        import_tensorflow()  # TensorFlow loads here, without its load-time log lines
        from net.policy_value_net import PolicyValueNet
        return PolicyValueNet
    raise AttributeError(f"module 'net' has no attribute {name!r}")
