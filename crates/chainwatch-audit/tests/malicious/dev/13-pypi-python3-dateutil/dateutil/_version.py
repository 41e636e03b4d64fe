version = '2.8.1'
