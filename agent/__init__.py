"""The interviewer: grading, policy, the LangGraph interview and its facade. Imports knowledge, prompts."""
