"""Release definitions as code: specs (YAML or JSON) validated, then rendered as the
ReleaseDefinition documents Azure DevOps takes.

``load`` reads and validates specs (``source`` → ``schema`` → ``build``, every problem by file, line
and field); ``render`` turns them into REST documents through a ``resolve.Resolver`` (names to ids;
``OfflineResolver`` leaves placeholders). Plan, apply and export build on these.

Must not: import ``cli/`` or ``agent/``, print, or talk to Azure DevOps (a resolver that does is
given to ``render`` by its caller).
"""
