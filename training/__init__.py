"""Training stages for the factory's data: LoRA SFT, KTO/DPO, BFCL-rule evaluation, merge and packaging.

Nothing here imports torch or transformers at module import time except the modules that train
(``sft``, ``preference``, ``package``'s merge); the CLI imports them inside command bodies.
"""
