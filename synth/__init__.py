"""Safe synthetic case data: synthesis from published figures or case records, privacy, evaluation."""
