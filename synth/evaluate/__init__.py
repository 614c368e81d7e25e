"""`tipkit synth evaluate`: a release judged against real records (fidelity, privacy, cost of
protection), as JSON and one offline HTML page."""
