"""The border crossing point itself: scenarios, arrivals, the victim population, random streams,
the SimPy model of one traveller and the KPIs one replication reports."""
