"""Adapters from the call logic's small interfaces (ivr_scripts) to SQL storage, one module each:
agent_store (AgentStore), crm_directory (CallerDirectory), recording_catalog (RecordingCatalog),
supervision_facts (SupervisionFacts)."""
