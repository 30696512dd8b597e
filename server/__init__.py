"""tarjama.server"""
