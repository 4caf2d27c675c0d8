"""The result cache: a gate whose inputs did not change answers from its last run.

- `inputs`: what a gate's answer depends on (`Inputs`, declared by a gate as ``INPUTS``);
- `tree`: the project's files and their content digests (a stat cache makes it cheap);
- `signature`: interpreters, tools and files outside the project, as key material;
- `record`: files and folders a gate opened in-process while it ran (an audit hook);
- `store`: the key, and entries authenticated with a per-user secret, so a repository
  cannot plant a cached ``pass``;
- `lookup`: the pipeline's door: find a replayable answer, store a fresh one.
"""
