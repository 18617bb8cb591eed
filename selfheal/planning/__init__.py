"""The shared planner: operations, the pure plan from (declared, live) models, row facts, comparisons,
drift rows and the findings a plan adds up to. Engines render and apply what it plans."""
