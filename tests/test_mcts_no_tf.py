"""The search package stays free of TensorFlow (it runs in processes that never load a net)."""
import subprocess
import sys


def test_importing_mcts_does_not_import_tensorflow():
    code = ("import sys, mcts, mcts.analysis; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip() == "[]", result.stdout
