"""The Streamlit app (``streamlit run app.py``): one module per concern, one module per page.

- :mod:`sim.webapp.state`: every setting in one place, kept in the URL so a link reopens the view;
  the current scenario (built-in or uploaded, plus the user's edits) and its validation problems.
- :mod:`sim.webapp.style`: colours (Okabe-Ito, colour-blind safe), fonts and chart helpers.
- :mod:`sim.webapp.compute`: cached calls into the engine (``st.cache_data``).
- :mod:`sim.webapp.pages`: the five pages, Scenario, Simulate, Sweep, Game and Classroom.
"""
