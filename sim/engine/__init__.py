"""The crisis, solved and played.

- :mod:`sim.engine.equilibrium`: the whole multi-round crisis solved as an agent logit quantal
  response equilibrium over public beliefs, once per scenario;
- :mod:`sim.engine.rules`: how an actor turns expected utilities into a choice (logit, best
  response, a fixed doctrine), each rule describing itself in words;
- :mod:`sim.engine.agents` and :mod:`sim.engine.model`: the actors as Mesa agents, and the Mesa
  model that plays a round in many independent worlds at once;
- :mod:`sim.engine.inspect`: what the app shows of a solved round, in the app's terms.

It imports :mod:`sim.domain` only (``docs/explanation/architecture.md``).
"""
