"""slotwise's boundary to Azure DevOps, through the ``azure-devops`` client only.

- ``settings``: the organization URL and the credential, chosen from an environment mapping;
- ``connect``: sign-in, the server's detection (Services 7.1 or Server 2022 = 7.0), configured
  clients, requests sent as the client's methods send them;
- ``retry``: when a request is sent again (429, 503 for reads), sleeping on the injected clock;
- ``errors``: the client's errors translated once into slotwise's;
- ``definitions``: release definitions as raw documents (nothing the server sent is dropped);
- ``directory``, ``resolver``: names to ids (and back) from listings read in bulk;
- ``organization``: ``open_organization``, slotwise's ``release.gateway.Organization``.

Must not: read ``os.environ`` (the factory does), import the faces, slots or the emulator. This
package's ``__init__`` imports nothing: ``settings`` is read by the factory that the pipeline tasks
also use, and the tasks' lean runtime has no ``azure-devops`` client.
"""
