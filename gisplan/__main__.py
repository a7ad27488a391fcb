from gisplan.cli import main

raise SystemExit(main())
