"""tarjama.client"""
