// A module without sources yet still needs one translation unit.
