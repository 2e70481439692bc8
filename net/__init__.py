"""TF2 (Keras 3) policy-value net of the AlphaZero Gomoku trainer: model, loss, export."""
from net.config import NetConfig
from net.model_file import ModelFileError
from net.policy_value_net import PolicyValueNet

__all__ = ["NetConfig", "ModelFileError", "PolicyValueNet"]
