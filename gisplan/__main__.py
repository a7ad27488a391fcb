from gisplan.cli.main import main

raise SystemExit(main())
