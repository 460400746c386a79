// Vocabulary and tokenizers (in progress).
