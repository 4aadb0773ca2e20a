"""The API service: a FastAPI app that owns CORS and stays correct behind proxy chains."""
