"""The national fingerprint database for asylum seekers and irregular migrants, compatible
with EURODAC: data subjects by category, enrolment, 1:N search by the comparison rules,
hit verification by a fingerprint expert, retention, marking, blocking and erasure."""
