"""Every remote client slotwise uses: ARM (azure-mgmt-web), Kudu and the Functions host, and credentials.

Nothing outside this package builds an HTTP request to Azure. Each client goes through an azure-core
pipeline (retries honouring Retry-After, bearer auth, header redaction), and every foreign error is
translated once, here, into ``slotwise.errors``.
"""
