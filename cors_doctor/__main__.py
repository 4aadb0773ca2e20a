from __future__ import annotations

from cors_doctor.cli import main

raise SystemExit(main())
