"""BFCL (Berkeley Function-Calling Leaderboard) v4: data files (``xlam.bfcl.data``) and scoring.

Submodules are imported explicitly (``from xlam.bfcl.data import load_questions``) so that this
package stays light.
"""
