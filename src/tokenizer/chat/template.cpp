// Chat templates (in progress).
