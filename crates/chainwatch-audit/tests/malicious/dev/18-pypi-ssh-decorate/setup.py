from setuptools import setup

setup(
    name='ssh-decorate',
    version='0.31',
    description='A decorator to run python functions over ssh',
    url='https://github.example/urigoren/ssh_decorator',
    author='Uri Goren',
    author_email='uri@goren.example',
    license='MIT',
    packages=['ssh_decorate'],
    install_requires=['paramiko', 'requests'],
    zip_safe=False,
)
