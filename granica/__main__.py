from granica.cli import main

main()
