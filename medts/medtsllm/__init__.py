"""MedTsLLM: an ECG patch encoder reprogrammed into a LoRA-tuned causal LLM, with task heads."""

from medts.config import keep_torch_caches_out_of_tmp

keep_torch_caches_out_of_tmp()  # before any submodule imports peft (which creates $TMPDIR/torchinductor_*)
