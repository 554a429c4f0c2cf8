"""MedTsLLM: an ECG patch encoder reprogrammed into a LoRA-tuned causal LLM, with task heads."""
