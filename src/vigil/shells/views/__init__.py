"""Values from the service layer shaped for display or JSON, where more than one shell family
(cli, native, aws, web, demo) shows them the same way: pure functions, no I/O, no api calls."""
