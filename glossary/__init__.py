"""tarjama.glossary"""
